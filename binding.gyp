{
  "targets": [
    {
      "target_name": "fluxion",
      "sources": [ "<!@(node -p \"require('./native/sources.json').common.concat(require('./native/sources.json').noCuda).join(' ')\")" ],
      "dependencies": [ "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except" ],
      "defines": [ "NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED" ],
      "cflags_cc": [ "-std=c++17", "-O3", "-fno-math-errno", "-ffp-contract=off" ],
      "include_dirs": [ "/usr/include/x86_64-linux-gnu/openblas-pthread" ],
      "libraries": [ "-L/usr/lib/x86_64-linux-gnu/openblas-pthread", "-lopenblas", "-Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-pthread" ]
    }
  ]
}
