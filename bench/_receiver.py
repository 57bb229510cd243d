"""A webhook receiver for bench_webhooks.py, served by uvicorn in a process of its own.

POST /hooks verifies each delivery's signature (the `standardwebhooks` package, with
the secret in WEBHOOK_SECRET), notes when it arrived (time.time()) by the goal title
it carries, and answers 204. GET /arrival/{title} waits until that delivery came
and answers its arrival time; GET /count answers how many arrived.

    python _receiver.py PORT
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import defaultdict

import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

hook = Webhook(os.environ["WEBHOOK_SECRET"])
arrivals: dict[str, float] = {}
waiting: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
count = 0


async def receive(request: Request) -> Response:
    """Verify a delivery, note its arrival, acknowledge it."""
    global count
    body = await request.body()
    at = time.time()
    event = hook.verify(body, dict(request.headers))
    title = str(event["data"].get("title", ""))
    count += 1
    arrivals.setdefault(title, at)
    waiting[title].set()
    return Response(status_code=204)


async def arrival(request: Request) -> Response:
    """When the delivery of this title arrived (waits for it, up to 30 s)."""
    title = request.path_params["title"]
    await asyncio.wait_for(waiting[title].wait(), 30)
    return JSONResponse({"at": arrivals[title]})


async def counted(request: Request) -> Response:
    """How many deliveries arrived."""
    return Response(json.dumps(count), media_type="application/json")


app = Starlette(
    routes=[
        Route("/hooks", receive, methods=["POST"]),
        Route("/arrival/{title}", arrival, methods=["GET"]),
        Route("/count", counted, methods=["GET"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
    )
