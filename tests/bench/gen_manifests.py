"""Writes N risky pods (about 7 findings each) into a folder of multi-document YAML files."""
import os
import sys

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
per_file = 500
for start in range(0, n, per_file):
    with open(os.path.join(out, f"pods-{start // per_file:04d}.yaml"), "w") as f:
        for i in range(start, min(n, start + per_file)):
            f.write(f"""apiVersion: v1
kind: Pod
metadata:
  name: pod-{i:06d}
  namespace: team-{i % 40:02d}
  labels: {{app: app-{i % 97}}}
spec:
  hostNetwork: {'true' if i % 3 == 0 else 'false'}
  containers:
    - name: app
      image: registry.example/app:{i % 13}.0
      securityContext:
        privileged: {'true' if i % 5 == 0 else 'false'}
---
""")
