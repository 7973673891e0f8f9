"""Build of the optional C accelerator of the ETF codec (priv/bridge/etf/_cetf*.c).

The metadata is in pyproject.toml; this file only declares the extension.
It is optional: without a compiler the build warns and goes on, and
bridge.etf uses its pure-Python codec; PYINET_CODEC_REQUIRED=1 (make build)
makes a failure to build it an error. The port program runs from the source
tree, so build it in place:

    python setup.py -q build_ext --inplace
"""

import os

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "bridge.etf._cetf",
            sources=["priv/bridge/etf/_cetf.c", "priv/bridge/etf/_cetf_decode.c",
                     "priv/bridge/etf/_cetf_encode.c"],
            depends=["priv/bridge/etf/_cetf.h"],
            extra_compile_args=["-Wall", "-fvisibility=hidden"],
            optional=os.environ.get("PYINET_CODEC_REQUIRED") != "1",
        ),
    ],
)
