{
  "targets": [
    {
      "target_name": "rxtrain_native",
      "sources": ["native/addon.cc", "native/gemm.cc", "native/conv.cc", "native/winograd.cc", "native/pool.cc", "native/cropResize.cc", "native/imageNapi.cc", "native/turboJpeg.cc", "native/batchnorm.cc", "native/maxpool.cc", "native/trainNapi.cc", "native/sgd.cc", "native/weightedSum.cc", "native/reluGrad.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-ffp-contract=off", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [["OS==\"linux\"", {"libraries": ["-ldl"]}]],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-ffp-contract=off"]
      }
    }
  ]
}
