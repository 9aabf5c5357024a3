"""certs.py - the local API server's PKI and client configuration: a CA and a serving
certificate (SAN IP:127.0.0.1, DNS:localhost) made once per state dir with the openssl
CLI (EC P-256, so it takes milliseconds), the admin bearer token, and the kubeconfig.
"""
import base64
import os
import secrets
import subprocess


def _openssl(args, cwd):
    """Runs the openssl CLI in cwd; RuntimeError with its stderr on failure."""
    proc = subprocess.run(["openssl"] + args, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def ensure_pki(state_dir: str) -> dict:
    """Creates ca.crt/ca.key/server.crt/server.key in state_dir unless present; returns
    their paths."""
    paths = {n: os.path.join(state_dir, n) for n in ("ca.crt", "ca.key", "server.crt",
                                                      "server.key")}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
              "-subj", "/CN=appstack-local-ca",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], state_dir)
    _openssl(["req", "-new"] + ec + ["-keyout", "server.key", "-out", "server.csr",
              "-subj", "/CN=appstack-local-apiserver"], state_dir)
    with open(os.path.join(state_dir, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "extendedKeyUsage=serverAuth\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "basicConstraints=critical,CA:FALSE\n")
    _openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
              "-CAcreateserial", "-out", "server.crt", "-days", "3650",
              "-extfile", "server.ext"], state_dir)
    for n in ("ca.key", "server.key"):
        os.chmod(paths[n], 0o600)
    return paths


def admin_token(state_dir: str) -> str:
    """The admin's bearer token, made once per state dir (file mode 0600)."""
    p = os.path.join(state_dir, "admin.token")
    if not os.path.exists(p):
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(24))
    with open(p) as f:
        return f.read().strip()


def write_kubeconfig(path: str, port: int, ca_path: str, token: str, user: str = "admin"):
    """Writes a kubeconfig (YAML) for https://127.0.0.1:port with the CA inline."""
    with open(ca_path, "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    text = (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        "- name: appstack-local\n"
        "  cluster:\n"
        f"    server: https://127.0.0.1:{port}\n"
        f"    certificate-authority-data: {ca}\n"
        "users:\n"
        f"- name: {user}\n"
        "  user:\n"
        f"    token: {token}\n"
        "contexts:\n"
        "- name: appstack-local\n"
        "  context:\n"
        "    cluster: appstack-local\n"
        f"    user: {user}\n"
        "    namespace: default\n"
        "current-context: appstack-local\n")
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
