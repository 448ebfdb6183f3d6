#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<target>/) from the
project's test data, with each target's leading selector byte where it has one (see the
comment at the top of each fuzz_<target>.c). Files are named by the SHA-1 of their bytes,
as libFuzzer names its own, so a seed is never kept twice. Inputs over 16 KiB are left out
(big seeds slow every mutation). Run from anywhere: python3 tests/fuzz/make_corpus.py"""
import base64, glob, hashlib, json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, 'tests', 'data')
OUT = os.path.join(ROOT, 'tests', 'fuzz', 'corpus')
LIMIT = 16 * 1024


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def add(target, data):
    if len(data) > LIMIT:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)


def wire_types():
    """lower-case type name -> its index in FSIM_WIRE_TYPES (the harness's byte 0)."""
    text = read(os.path.join(ROOT, 'core', 'include', 'fleetsim', 'wire.h')).decode()
    block = text[text.index('#define FSIM_WIRE_TYPES(X)'):]
    block = block[:block.index('\n\n')]
    return {m: i for i, m in enumerate(re.findall(r'X\([A-Z_]+, ([a-z_]+),', block))}


def wire():
    types = wire_types()
    by_file = {'request': 'request', 'result': 'result'}
    for path in glob.glob(os.path.join(DATA, 'wire', '*.json')):
        stem = os.path.basename(path).split('.')[0]
        name = next((t for t in sorted(types, key=len, reverse=True) if stem.startswith(t)), None)
        name = by_file.get(stem.split('_')[0], name)
        if name:
            add('wire', bytes([types[name]]) + read(path))
    for path in glob.glob(os.path.join(DATA, 'pubsub', '*.json')):
        add('wire', bytes([types['job_message']]) + read(path))
    for path in [os.path.join(DATA, 'api', 'small.json')] + \
            glob.glob(os.path.join(ROOT, 'config', 'scenarios', '*.json')):
        add('wire', bytes([types['request']]) + read(path))
        # the same with unknown keys skipped
        add('wire', bytes([types['request'] + len(types)]) + read(path))
    # tests/data/wire/bad_cases.txt: "### <type> <where> | <message>" then the JSON
    text = read(os.path.join(DATA, 'wire', 'bad_cases.txt')).decode()
    for block in text.split('\n### ')[1:]:
        head, _, body = block.partition('\n')
        t = head.split()[0]
        if t in types:
            add('wire', bytes([types[t]]) + body.encode())


def config():
    files = ['vehicles', 'chargers', 'routes', 'tariffs']
    for i, f in enumerate(files):
        for path in [os.path.join(ROOT, 'config', f + '.yaml')] + \
                glob.glob(os.path.join(DATA, 'config', '*', '*', f + '.yaml')) + \
                glob.glob(os.path.join(DATA, 'config', '*', f + '.yaml')):
            if os.path.exists(path):
                add('config', bytes([i]) + read(path))
    text = read(os.path.join(DATA, 'cli', 'config.cases')).decode()
    for m in re.findall(r"FLEETSIM_CONFIG_OVERRIDES='([^']*)'", text):
        add('config', bytes([4]) + m.encode())
        add('config', bytes([5]) + m.encode())
    add('config', bytes([5]) + b'{"chargers": {"dc-50kw": {"powerKw": 60}}, '
        b'"routes": {"north-loop": {"speedKph": 40}}}')


def geo():
    for path in glob.glob(os.path.join(DATA, 'geo', '**', '*.geojson'), recursive=True) + \
            glob.glob(os.path.join(DATA, 'cli', 'geo', '*.geojson')) + \
            glob.glob(os.path.join(ROOT, 'config', 'routes', '*.geojson')):
        add('geo', read(path))


def cycle():
    for pattern in ['cycles/*.csv', 'model/*.csv', 'cli/cycles/*.csv']:
        for path in glob.glob(os.path.join(DATA, pattern)):
            data = read(path)
            if len(data) > LIMIT:  # a real cycle: its first minutes
                data = b'\n'.join(data.split(b'\n')[:200]) + b'\n'
            add('cycle', data)


def import_csv():
    kinds = {'vins': 0, 'state': 1, 'sim': 2}
    for path in glob.glob(os.path.join(DATA, 'import', '*.csv')):
        kind = kinds[os.path.basename(path).split('_')[0]]
        add('import', bytes([kind]) + read(path))
        add('import', bytes([kind + 3]) + read(path))  # --ignore-unknown-columns


def push():
    job = read(os.path.join(DATA, 'pubsub', 'job.json'))
    b64 = base64.b64encode(job).decode()
    msg = {'data': b64, 'attributes': {'jobId': '3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10'},
           'messageId': '1', 'publishTime': '2026-01-05T06:00:00.123Z'}
    sub = 'projects/p/subscriptions/jobs-push'
    add('push', json.dumps({'message': msg, 'subscription': sub, 'deliveryAttempt': 2}).encode())
    snake = dict(msg, message_id='2', publish_time='2026-01-05T06:00:00Z')
    del snake['messageId'], snake['publishTime']
    add('push', json.dumps({'message': snake, 'subscription': sub}).encode())
    add('push', json.dumps({'message': dict(msg, data='not base64!')}).encode())
    add('push', json.dumps({'message': {'messageId': '3'}}).encode())


def oidc():
    now = 1767225600
    header = {'alg': 'RS256', 'kid': 'k1', 'typ': 'JWT'}
    claims = {'iss': 'https://accounts.google.com', 'aud': 'https://push.example.test/push',
              'azp': '1', 'sub': '1', 'email': 'push@fleetsim-test.iam.gserviceaccount.com',
              'email_verified': True, 'iat': now - 10, 'exp': now + 3600}
    def signed(h, c):
        add('oidc', b'\x02' + json.dumps(h).encode() + b'\x00' + json.dumps(c).encode())
    signed(header, claims)
    signed(header, dict(claims, aud=['x', claims['aud']], iss='accounts.google.com'))
    signed(header, dict(claims, email_verified=False, nbf=now + 999))
    signed(dict(header, kid='other'), claims)
    signed(dict(header, alg='none'), claims)
    b64 = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b'=')
    add('oidc', b'\x01Bearer ' + b64(header) + b'.' + b64(claims) + b'.c2ln')
    add('oidc', b'\x01bearer \t' + b64(dict(header, alg='HS256')) + b'.' + b64(claims) + b'.')
    add('oidc', b'\x01Basic dXNlcjpwYXNz')
    n = base64.urlsafe_b64encode(b'\xc3' * 256).rstrip(b'=').decode()
    key = {'kty': 'RSA', 'use': 'sig', 'alg': 'RS256', 'kid': 'k1', 'n': n, 'e': 'AQAB'}
    add('oidc', b'\x00' + json.dumps({'keys': [key, dict(key, kid='k2', e='AAEAAQ')]}).encode())
    add('oidc', b'\x00' + json.dumps({'keys': [dict(key, kty='EC'), dict(key, n='AQAB')]}).encode())


def credentials():
    key = {'type': 'service_account', 'project_id': 'p', 'private_key_id': 'abc',
           'private_key': '@PRIVATE_KEY@', 'client_email': 'fleetsim@p.iam.gserviceaccount.com',
           'token_uri': 'https://oauth2.googleapis.com/token'}
    add('credentials', json.dumps(key).encode())
    add('credentials', json.dumps(dict(key, token_uri=None, private_key_id=None)).encode())
    add('credentials', json.dumps(dict(key, type='authorized_user')).encode())
    add('credentials', json.dumps(dict(key, private_key='-----BEGIN PRIVATE KEY-----\nAAAA\n'
                                       '-----END PRIVATE KEY-----\n')).encode())


def api():
    """Requests as fuzz_api.c reads them (request line, headers, blank line, body): every
    case of tests/data/api/http_cases.txt whose body is a file or raw text, with the
    harness's key, and a few that those cases do not cover (CORS, trace headers, HEAD,
    queries, the docs)."""
    key = 'fuzz-api-key-0123456789'
    small = read(os.path.join(DATA, 'api', 'small.json'))

    def request(method, target, headers, body=b''):
        head = f'{method} {target}\n' + ''.join(f'{n}: {v}\n' for n, v in headers)
        add('api', head.encode() + b'\n' + body)

    for line in read(os.path.join(DATA, 'api', 'http_cases.txt')).decode().splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        f = [x.strip() for x in line.split('|')]
        _, method, path, hdr, body = f[:5]
        if body == '-':
            data = b''
        elif body.startswith('raw:'):
            data = body[4:].encode()
        elif os.path.exists(os.path.join(DATA, 'api', body)):
            data = read(os.path.join(DATA, 'api', body))
        else:
            continue  # jq: and gen: bodies are made by the test script
        headers = [('X-API-Key', key)] + ([('Content-Type', 'application/json')] if data else [])
        for tok in ([] if hdr == '-' else hdr.split(';')):
            tok = tok.strip()
            if tok == 'nokey':
                headers = [h for h in headers if h[0] != 'X-API-Key']
            elif tok.startswith('key='):
                headers = [h for h in headers if h[0] != 'X-API-Key'] + [('X-API-Key', tok[4:])]
            elif tok == 'noct':
                headers = [h for h in headers if h[0] != 'Content-Type']
            elif tok.startswith('ct='):
                headers = [h for h in headers if h[0] != 'Content-Type'] + [('Content-Type', tok[3:])]
            elif tok.startswith('H=') and 'gen:' not in tok:
                n, _, v = tok[2:].partition(':')
                headers.append((n.strip(), v.strip()))
        request(method, path, headers, data)
    k = ('X-API-Key', key)
    ct = ('Content-Type', 'application/json')
    origin = ('Origin', 'https://app.example.test')
    request('OPTIONS', '/v1/simulations', [origin, ('Access-Control-Request-Method', 'POST'),
                                           ('Access-Control-Request-Headers', 'content-type, x-api-key')])
    request('OPTIONS', '/v1/simulations', [('Origin', 'https://evil.example.test'),
                                           ('Access-Control-Request-Method', 'DELETE')])
    request('GET', '/v1/config/vehicles', [k, origin, ('Accept-Encoding', 'gzip;q=0.5, br')])
    request('GET', '/v1/config/routes', [k, ('traceparent',
            '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')])
    request('GET', '/v1/config/chargers', [k, ('X-Cloud-Trace-Context', '105445aa7843bc8bf206b12000100000/1;o=1'),
                                           ('X-Request-Id', 'fuzz-req-1')])
    request('HEAD', '/healthz', [])
    request('GET', '/readyz', [])
    request('GET', '/openapi.json', [])
    request('GET', '/docs', [('Accept-Encoding', 'gzip')])
    request('GET', '/v1/simulations?limit=5&fleetId=3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10&cursor=a%2Bb', [k])
    request('GET', '/v1/simulations/3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10/report?format=html', [k])
    request('DELETE', '/v1/simulations/3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10', [k])
    request('GET', '/v1/fleets/3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10', [k])
    request('POST', '/v1/fleets', [k, ct], b'{"name": "fuzz fleet"}')
    request('POST', '/v1/simulations', [k, ct, ('Idempotency-Key', 'fuzz-key-1')], small)
    request('POST', '/v1/simulations:run', [k, ct, ('Accept-Encoding', 'gzip')], small)
    one_day = json.loads(small)
    one_day['days'] = 1
    request('POST', '/v1/simulations:run', [k, ('Content-Type', 'application/json; charset=utf-8')],
            json.dumps(one_day).encode())
    request('POST', '/v1/simulations:compare', [k, ct], json.dumps(one_day).encode())
    request('POST', '/v1/simulations:run', [k, ct, ('Content-Length', '99999999')], small)


if __name__ == '__main__':
    for fn in [wire, config, geo, cycle, import_csv, push, oidc, credentials, api]:
        fn()
    for t in sorted(os.listdir(OUT)):
        print(t, len(os.listdir(os.path.join(OUT, t))), file=sys.stderr)
