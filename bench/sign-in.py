#!/usr/bin/env python3
"""bench/sign-in.py BASE COOKIE: signs the session COOKIE ("name=value") of the demo at
BASE in through its built-in provider, as a browser would (login, consent, callback), and
prints the session cookie it ends with. For the benchmarks that measure a signed-in user.
Cookies are kept by hand: in the release profile they are Secure, which a cookie jar would
not send over plain HTTP to 127.0.0.1."""

import html
import http.client
import re
import sys
import urllib.parse

base, cookie = sys.argv[1], sys.argv[2]
server = urllib.parse.urlsplit(base)
session_name = cookie.split("=", 1)[0]
jar = dict([cookie.split("=", 1)])


def request(method, url, body=None):
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection(server.hostname, server.port, timeout=120)
    conn.request(method, path, body, headers)
    res = conn.getresponse()
    text = res.read().decode()
    for name, value in res.getheaders():
        if name.lower() == "set-cookie":
            name, value = value.split(";", 1)[0].split("=", 1)
            if value:
                jar[name] = value
            else:
                jar.pop(name, None)
    return res.status, res.getheader("Location"), text


def expect(status, wanted, what):
    if status != wanted:
        sys.exit(f"sign-in: {what} answered {status}, not {wanted}")


status, authorize, _ = request("GET", "/oauth/login?provider=demo")
expect(status, 303, "/oauth/login")
status, _, page = request("GET", authorize)
expect(status, 200, "the consent page")
hidden = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
form = {html.unescape(name): html.unescape(value) for name, value in hidden}
form.update(name="Bench User", decision="approve")
status, callback, _ = request("POST", "/provider/authorize", urllib.parse.urlencode(form))
expect(status, 303, "the consent form")
status, _, _ = request("GET", callback)
expect(status, 303, "the callback")
print(f"{session_name}={jar[session_name]}")
