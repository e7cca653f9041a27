"""pip install . : the Python package precsim (python/precsim) and its extension, built against the
installed torch with the installed setuptools, offline:

    pip install --no-build-isolation .

(Debian: apt-get install python3-torch pybind11-dev python3-setuptools python3-pip; inside a venv
made with --system-site-packages, or with --break-system-packages.)"""
import os

from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

root = os.path.dirname(os.path.abspath(__file__))

setup(
    name="precsim",
    version="0.1.0",
    description="Bit-exact simulation of any floating-point format for PyTorch tensors and NumPy arrays",
    packages=["precsim"],
    package_dir={"": "python"},
    ext_modules=[CppExtension(
        "precsim._precsim",
        # The compiled kernels in units of their own (three, which a parallel build compiles side
        # by side): the extension's unit instantiates none.
        ["python/_precsim.cpp", "src/kernels/round_float.cpp", "src/kernels/round_double.cpp",
         "src/kernels/decode_blocks.cpp"],
        include_dirs=[os.path.join(root, "include")],
        define_macros=[("PRECSIM_SEPARATE_KERNELS", None)],
        extra_compile_args=["-std=c++20", "-O2"],
    )],
    cmdclass={"build_ext": BuildExtension},
    python_requires=">=3.9",
    install_requires=["torch", "numpy"],
)
