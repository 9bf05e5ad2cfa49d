"""Checks that `sam build` produced an arm64 `bootstrap` for every function of template.yaml,
and prints each one's size, raw and zipped (what Lambda stores)."""

import io
import pathlib
import re
import struct
import sys
import zipfile

EM_AARCH64 = 183
root = pathlib.Path(__file__).resolve().parent.parent
template = (root / "template.yaml").read_text()
functions = re.findall(r"^  (\w+):\n    Type: AWS::Serverless::Function$", template, re.MULTILINE)
if not functions:
    sys.exit("no AWS::Serverless::Function in template.yaml")
problems = []
print(f"{'function':<18} {'bootstrap':>12} {'zipped':>12}")
for name in functions:
    path = root / ".aws-sam" / "build" / name / "bootstrap"
    if not path.is_file():
        problems.append(f"{name}: {path} is missing")
        continue
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        problems.append(f"{name}: bootstrap is not a 64-bit ELF executable")
        continue
    machine = struct.unpack_from("<H", data, 18)[0]
    if machine != EM_AARCH64:
        problems.append(f"{name}: bootstrap is built for ELF machine {machine}, not aarch64 ({EM_AARCH64})")
        continue
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bootstrap", data)
    print(f"{name:<18} {len(data) / 2**20:>9.2f} MiB {len(buffer.getvalue()) / 2**20:>9.2f} MiB")
if problems:
    sys.exit("\n".join(problems))
print(f"all {len(functions)} functions have an arm64 bootstrap")
