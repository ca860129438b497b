"""Adds the problem responses every operation can give to the OpenAPI documents (idempotent).

The platform answers before any handler: a JSON body that is not JSON is 400, one larger than the
route takes is 413, and a NUL or an oversize value in a query parameter or body field is 422
(`InputGuardMiddleware`). Each operation under /v1 gets "422" (any request may carry query
parameters, documented or not); each with a request body also gets "400" and "413". Run: python3 infra/schemathesis/document_errors.py docs/api/*.yaml
"""
import re
import sys

PROBLEM = '{ $ref: "common.yaml#/components/responses/Problem" }'


def process(text: str) -> str:
    lines = text.split("\n")
    out = []
    i = 0
    in_paths = False
    op = None  # dict for the current operation
    current_path = ""
    while i < len(lines):
        line = lines[i]
        if line.startswith("paths:"):
            in_paths = True
        elif re.match(r"^\S", line):
            in_paths = False
        if in_paths and re.match(r"^  /", line):
            current_path = line.strip().rstrip(":")
        if in_paths and re.match(r"^    (get|post|put|patch|delete):", line):
            op = {"body": False, "query": False, "path": current_path}
        elif in_paths and op is not None and re.match(r"^      requestBody:", line):
            op["body"] = True
        elif in_paths and op is not None and "in: query" in line:
            op["query"] = True
        if in_paths and op is not None and re.match(r"^      responses:\s*$", line):
            out.append(line)
            i += 1
            codes = set()
            block = []
            while i < len(lines) and (lines[i].strip() == "" or lines[i].startswith("        ")):
                m = re.match(r'^        "(\d{3})":', lines[i])
                if m:
                    codes.add(m.group(1))
                block.append(lines[i])
                i += 1
            # Keep trailing blank lines after what is inserted.
            trailing = []
            while block and block[-1].strip() == "":
                trailing.insert(0, block.pop())
            # Any request may carry query parameters, named in the document or not: a NUL or an
            # oversize value in one is 422 wherever it is.
            wanted = ["422"] if op["path"].startswith("/v1/") else []
            if op["body"]:
                wanted += ["400", "413", "422"]
            for code in sorted(set(wanted)):
                if code not in codes:
                    block.append(f'        "{code}": {PROBLEM}')
            # Keep codes in order.
            entries, current = [], None
            for b in block:
                m = re.match(r'^        "(\d{3})":', b)
                if m:
                    current = [m.group(1), [b]]
                    entries.append(current)
                elif current is not None:
                    current[1].append(b)
                else:
                    entries.append(["000", [b]])
            entries.sort(key=lambda e: e[0])
            for _, chunk in entries:
                out.extend(chunk)
            out.extend(trailing)
            op = None
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    new = process(text)
    if new != text:
        with open(path, "w") as f:
            f.write(new)
        print("updated", path)
