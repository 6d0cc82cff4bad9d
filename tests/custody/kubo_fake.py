"""A stand-in for a Kubo node's RPC API, for tests: a Kubo daemon cannot run here.

It implements only what `KuboContentStore` calls, as the Kubo RPC reference publishes it
(https://docs.ipfs.tech/reference/kubo/rpc/, sections /api/v0/add, /api/v0/cat, /api/v0/block/stat,
"HTTP status codes"): POST only (405 otherwise); `add` takes the file as multipart/form-data and
answers one JSON object per line with `Name`, `Hash`, `Size` (a string); `cat` and `block/stat` take
the CID as `arg`; errors are HTTP 500 with `{"Message", "Code", "Type": "error"}`.

Like Kubo, the CID it returns follows the import settings in the query (`chunker`, `max-file-links`,
with Kubo's historical defaults size-262144 and 174 when absent), so a client that forgot to send
its profile gets a different CID, as it would from a real node.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aiohttp import web

from custody import ImportProfile, unixfs_cid


@dataclass
class FakeKubo:
    blocks: dict[str, bytes] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    lie_about_cid: bool = False
    corrupt_on_cat: bool = False
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeKubo:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/v0/{command:.+}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)  # a free port, chosen by the OS
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _error(message: str, status: int = 500) -> web.Response:
        return web.json_response({"Message": message, "Code": 0, "Type": "error"}, status=status)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        command = request.match_info["command"]
        record = {"command": command, "method": request.method, "query": dict(request.query)}
        self.requests.append(record)
        if request.method != "POST":
            return web.Response(status=405, text="405 - Method Not Allowed")
        handler = {"add": self._add, "cat": self._cat, "block/stat": self._block_stat}.get(command)
        if handler is None:
            return web.Response(status=404, text="404 page not found")
        return await handler(request, record)

    async def _add(self, request: web.Request, record: dict) -> web.Response:
        if not request.content_type.startswith("multipart/form-data"):
            return self._error("file argument 'path' is required", 400)
        reader = await request.multipart()
        part = await reader.next()
        if part is None or part.name != "file":
            return self._error("file argument 'path' is required", 400)
        data = await part.read()
        record.update(field=part.name, filename=part.filename, content_type=part.headers.get("Content-Type"))
        query = request.query
        if query.get("cid-version") != "1" or query.get("raw-leaves", "true") != "true":
            return self._error("this fake only imports CIDv1 with raw leaves", 400)
        chunker = query.get("chunker", "size-262144")
        if not chunker.startswith("size-"):
            return self._error("this fake only knows fixed-size chunkers", 400)
        profile = ImportProfile(int(chunker.removeprefix("size-")), int(query.get("max-file-links", "174")))
        cid = str(unixfs_cid(data, profile))
        self.blocks[cid] = data
        answered = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku" if self.lie_about_cid else cid
        line = json.dumps({"Name": part.filename or answered, "Hash": answered, "Size": str(len(data))})
        return web.Response(text=line + "\n", content_type="application/json")

    async def _cat(self, request: web.Request, record: dict) -> web.Response:
        cid = request.query.get("arg", "")
        if cid not in self.blocks:
            return self._error(f"block was not found locally (offline): ipld: could not find {cid}")
        data = self.blocks[cid]
        if self.corrupt_on_cat:
            data = data[:-1] + bytes([data[-1] ^ 1])
        return web.Response(body=data, content_type="text/plain")

    async def _block_stat(self, request: web.Request, record: dict) -> web.Response:
        cid = request.query.get("arg", "")
        if cid not in self.blocks:
            return self._error(f"block was not found locally (offline): ipld: could not find {cid}")
        return web.json_response({"Key": cid, "Size": len(self.blocks[cid])})
