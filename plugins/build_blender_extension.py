"""Build the Blender extension zip: plugins/blender/ plus the shared runner, validated and built by Blender.

Blender's own ``blender_ext.py`` does the validation and packing; it ships inside Blender and
inside the ``bpy`` wheel (``bpy/<ver>/scripts/addons_core/bl_pkg/cli/blender_ext.py``).

    python plugins/build_blender_extension.py --blender-ext /path/to/blender_ext.py --output-dir dist/
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = ("t2vz_action.py", "t2vz_protocol.py", "t2vz_ranges.py")  # copied into the extension


def stage(folder):
    """Copy the extension and the shared runner into ``folder``/t2vz_vse; returns that path."""
    target = os.path.join(folder, "t2vz_vse")
    shutil.copytree(os.path.join(HERE, "blender"), target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in SHARED:
        shutil.copy2(os.path.join(HERE, name), os.path.join(target, name))
    return target


def build(blender_ext, output_dir, python=sys.executable):
    """Validate and build; returns the zip's path. Raises CalledProcessError with Blender's message."""
    os.makedirs(output_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="t2vz-blender-ext-") as tmp:
        source = stage(tmp)
        for command in (["validate", source], ["build", "--source-dir", source, "--output-dir", output_dir]):
            subprocess.run([python, blender_ext] + command, check=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
    zips = [name for name in os.listdir(output_dir) if name.startswith("t2vz_vse-") and name.endswith(".zip")]
    if len(zips) != 1:
        raise RuntimeError("expected one t2vz_vse-*.zip in {}, found {}".format(output_dir, zips))
    return os.path.join(output_dir, zips[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blender-ext", required=True, help="path to Blender's blender_ext.py")
    parser.add_argument("--output-dir", required=True)
    args = parser.parse_args()
    try:
        print(build(args.blender_ext, args.output_dir))
    except subprocess.CalledProcessError as exc:
        sys.exit("blender_ext.py {} failed:\n{}".format(exc.cmd[2], exc.output))


if __name__ == "__main__":
    main()
