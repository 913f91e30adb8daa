"""Write a pickle that runs a harmless command when loaded: it creates a
marker file. The demo shows that stele's scanner flags it, that policy
refuses to promote it, and that the storage initializer refuses to
deploy it, so the marker file never appears.

    python make_payload.py OUT.joblib MARKER_PATH
"""
import os
import pickle
import sys


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {sys.argv[2]}",))


with open(sys.argv[1], "wb") as f:
    pickle.dump({"model": Payload()}, f, protocol=4)
