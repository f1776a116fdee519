{
  "targets": [
    {
      "target_name": "fluxion",
      "sources": [ "<!@(node -p \"const fs = require('fs'); ['native/src', 'native/src/cpu'].flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.cc')).sort().map((f) => d + '/' + f)).join(' ')\")" ],
      "defines": [ "NAPI_VERSION=8" ],
      "cflags_cc": [ "-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off", "-fexceptions" ],
      "cflags_cc!": [ "-fno-exceptions" ],
      "include_dirs": [ "/usr/include/x86_64-linux-gnu/openblas-pthread" ],
      "libraries": [ "-L/usr/lib/x86_64-linux-gnu/openblas-pthread", "-lopenblas", "-Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-pthread", "-ldl" ]
    }
  ]
}
