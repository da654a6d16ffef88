"""Reading one uploaded file from a multipart form, bounded: the request's declared size is
checked before anything is read, the file is streamed to a private temporary folder under its
own (cleaned) name, and the small text fields are kept."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile

CHUNK = 1 << 20
#: Room for the form's other fields and multipart boundaries beyond the file itself.
OVERHEAD = 64 * 1024


class UploadProblem(Exception):
    """An upload refused, with the HTTP status and a one-line reason."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class SavedUpload:
    name: str
    path: Path
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)


def clean_name(name: str) -> str:
    """A safe file name: the last path part, letters, digits, dot, dash and underscore."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-") or "upload"
    return base[-120:]


async def read_upload(
    request: Request, field_name: str, max_bytes: int, suffixes: tuple[str, ...]
) -> SavedUpload:
    limit_mb = max_bytes // 2**20
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise UploadProblem("the upload has no Content-Length; send it from the form", 411)
    if int(declared) > max_bytes + OVERHEAD:
        raise UploadProblem(
            f"the file is larger than the limit of {limit_mb} MB; split it, or import it on "
            "the server with 'leftbehind grants import FILE'",
            413,
        )
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception:  # malformed multipart body
        raise UploadProblem("the upload could not be read; choose the file again") from None
    try:
        return await _save(form, field_name, max_bytes, suffixes)
    finally:
        await form.close()


async def _save(form, field_name: str, max_bytes: int, suffixes: tuple[str, ...]) -> SavedUpload:
    limit_mb = max_bytes // 2**20
    upload = form.get(field_name)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UploadProblem("choose a 360Giving file (.json, .csv or .xlsx) to upload")
    name = clean_name(upload.filename)
    if not name.lower().endswith(suffixes):
        raise UploadProblem(f"{name} is not a 360Giving file; choose a .json, .csv or .xlsx file")
    folder = Path(tempfile.mkdtemp(prefix="leftbehind-upload-"))
    path = folder / name
    size = 0
    try:
        with open(path, "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadProblem(
                        f"the file is larger than the limit of {limit_mb} MB; split it, or "
                        "import it on the server with 'leftbehind grants import FILE'",
                        413,
                    )
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadProblem(f"{name} is empty; choose a 360Giving file with grants")
    return SavedUpload(name, path, fields)
