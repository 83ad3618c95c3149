"""``threadline pseudonymise FILE --key-file K --out F``: encode a partner extract without names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from threadline.cli.common import console, friendly
from threadline.errors import InputError


@friendly
def pseudonymise(
    file: Annotated[Path | None, typer.Argument(help="Partner extract (partner-records or persons CSV).")] = None,
    key_file: Annotated[Path, typer.Option("--key-file", "-k", help="Secret key file shared with the linkage partner.")]
    = Path("threadline.key"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Encoded CSV to write.")] = None,
    method: Annotated[str, typer.Option(help="hmac (keyed tokens), clk (keyed Bloom filters) or both.")] = "both",
    new_key: Annotated[bool, typer.Option("--new-key", help="Create a new random key in --key-file first.")] = False,
) -> None:
    """Replace names, date of birth and postcode by keyed tokens and Bloom filters (run at the partner)."""
    from threadline.link.people.pseudonymise import METHODS, new_key_file, pseudonymise_file

    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    if new_key:
        new_key_file(key_file)
        console.print(f"Wrote a new 256-bit key to [bold]{key_file}[/]: keep it secret; share it only with the "
                      "partner who encodes the other side, never with the encoded files.")
    if file is None:
        if new_key:
            return
        raise InputError("give the extract to pseudonymise: threadline pseudonymise FILE --key-file K --out F")
    if out is None:
        raise InputError("give --out, the encoded file to write")
    if out.resolve() == file.resolve():
        raise InputError("--out must not be the input file", file=out)
    n = pseudonymise_file(file, key_file, out, method)
    console.print(f"Wrote {n:,} pseudonymised records to [bold]{out}[/] (method {method}); no names, dates of "
                  "birth or postcodes are in it.")
