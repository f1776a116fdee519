{
  "targets": [
    {
      "target_name": "fluxion",
      "sources": [ "<!@(node -p \"const fs = require('fs'); ['native/src', 'native/src/cpu'].flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.cc')).sort().map((f) => d + '/' + f)).join(' ')\")" ],
      "defines": [ "NAPI_VERSION=8", "<!@(node scripts/find-openblas.mjs defines)" ],
      "cflags_cc": [ "-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off", "-fexceptions" ],
      "cflags_cc!": [ "-fno-exceptions" ],
      "include_dirs": [ "<!@(node scripts/find-openblas.mjs include)" ],
      "libraries": [ "<!@(node scripts/find-openblas.mjs libraries)", "-ldl" ]
    }
  ]
}
