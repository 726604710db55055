#!/usr/bin/python3
# Writes the image exports of tst_imagefiles with Python's tarfile, a tar writer other than the tests' own:
# legacy.tar as `docker save` (Docker 20.10-24) writes it, GNU headers, layers out of stacking order, a whiteout,
# an opaque folder and chmod a-s in the upper layer; oci-gzip.tar as an OCI layout (index.json, a manifest blob)
# with a gzip layer in pax format. Run it in this folder; the outputs are kept, byte for byte reproducible.
import gzip
import io
import json
import tarfile


def layer(entries, fmt):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=fmt) as t:
        for name, mode, kind in entries:
            i = tarfile.TarInfo(name)
            i.mode, i.mtime = mode, 0
            if kind == 'dir':
                i.type = tarfile.DIRTYPE
                t.addfile(i)
            elif kind == 'sym':
                i.type, i.linkname = tarfile.SYMTYPE, 'busybox'
                t.addfile(i)
            else:
                i.size = 1
                t.addfile(i, io.BytesIO(b'x'))
    return b.getvalue()


def outer(files, fmt=tarfile.USTAR_FORMAT):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=fmt) as t:
        for name, data in files:
            i = tarfile.TarInfo(name)
            i.size, i.mtime, i.mode = len(data), 0, 0o644
            t.addfile(i, io.BytesIO(data))
    return b.getvalue()


lower = layer([('bin', 0o755, 'dir'), ('bin/busybox', 0o755, 'f'), ('bin/sh', 0o777, 'sym'), ('bin/su', 0o4755, 'f'),
               ('usr/bin/wall', 0o2755, 'f'), ('opt/' + 'g' * 150 + '/tool', 0o4755, 'f')], tarfile.GNU_FORMAT)
upper = layer([('usr/bin/.wh.wall', 0o644, 'f'), ('bin/su', 0o755, 'f'), ('etc/.wh..wh..opq', 0o644, 'f')],
              tarfile.GNU_FORMAT)
manifest = [{'Config': 'c.json', 'RepoTags': ['seed:1'], 'Layers': ['f2/layer.tar', 'f1/layer.tar']}]
with open('legacy.tar', 'wb') as f:
    f.write(outer([('f1/layer.tar', upper), ('f2/layer.tar', lower), ('manifest.json', json.dumps(manifest).encode())]))

pax = layer([('opt/' + 'p' * 300 + '/ünï', 0o4755, 'f'), ('bin/mount', 0o6755, 'f')], tarfile.PAX_FORMAT)
blob, man = 'a' * 64, 'e' * 64
oci = json.dumps({'schemaVersion': 2, 'layers': [{'digest': 'sha256:' + blob}]}).encode()
index = json.dumps({'manifests': [{'digest': 'sha256:' + man}]}).encode()
with open('oci-gzip.tar', 'wb') as f:
    f.write(outer([('blobs/sha256/' + blob, gzip.compress(pax, mtime=0)), ('blobs/sha256/' + man, oci),
                   ('index.json', index)], tarfile.PAX_FORMAT))
