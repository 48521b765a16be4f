"""Make golden wire vectors with the real jupyter_client.

Run from the repository root with the project's virtualenv:

    /tmp/gkvenv/bin/python kernel/wire/testdata/gen_vectors.py > kernel/wire/testdata/vectors.json

Each vector holds the frames Session.serialize produced (base64, identities
first) and the signature Session.sign computed, so that the Go tests check
our signing and parsing against jupyter_client's, byte for byte.
"""
import base64
import datetime
import json
import sys

import jupyter_client
from jupyter_client.session import Session

DATE = datetime.datetime(2024, 5, 1, 12, 30, 45, 123456, tzinfo=datetime.timezone.utc)


def vector(name, key, msg_type, content, parent=None, metadata=None, ident=None, buffers=None):
    s = Session(key=key, session="5e55-10n", username="tester")
    msg = s.msg(msg_type, content=content, parent=parent, metadata=metadata)
    msg["header"]["msg_id"] = "m-" + name
    msg["header"]["date"] = DATE
    if buffers:
        msg["buffers"] = buffers
    frames = s.serialize(msg, ident=ident)
    delim = frames.index(b"<IDS|MSG>")
    return {
        "name": name,
        "key": key.decode(),
        "frames": [base64.b64encode(f).decode() for f in frames],
        "signature": s.sign(frames[delim + 2 : delim + 6]).decode(),
        "msg_type": msg_type,
        "msg_id": msg["header"]["msg_id"],
        "parent_msg_id": (parent or {}).get("header", {}).get("msg_id", ""),
        "content": content,
    }


def main():
    parent = {"header": {"msg_id": "p-1", "msg_type": "execute_request", "username": "u",
                         "session": "s", "date": DATE, "version": "5.4"}}
    vs = [
        vector("kernel_info_request", b"secret-key", "kernel_info_request", {}, ident=[b"client-1"]),
        vector("execute_request", b"0f5a1c2e-6b3d-4c8e-9a7f-1234567890ab", "execute_request",
               {"code": "fmt.Println(\"héllo, 世界\")\n", "silent": False, "store_history": True,
                "user_expressions": {}, "allow_stdin": True, "stop_on_error": True},
               ident=[b"\x00k\x8bEg", b"second"]),
        vector("stream_with_parent", b"secret-key", "stream", {"name": "stdout", "text": "a\tb\n"},
               parent=parent, metadata={"x": 1}),
        vector("unsigned", b"", "status", {"execution_state": "idle"}, parent=parent),
        vector("with_buffers", b"k", "comm_msg", {"comm_id": "c", "data": {}},
               buffers=[b"\x00\x01\x02", b"buf"]),
    ]
    json.dump({"jupyter_client": jupyter_client.__version__, "vectors": vs}, sys.stdout,
              indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
