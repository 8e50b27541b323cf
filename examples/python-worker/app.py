"""An AsyncHttpApi worker in Python: counts the words of the submitted text.

Deployed as the `worker` of an AsyncHttpApi (`Handler.fromAsset(dir, { runtime: PYTHON_3_14, handler: "app.handler" })`, with
job_worker.py beside it); see docs/protocols.md for what job_worker does.
"""
from job_worker import job_worker


def count_words(job):
    text = job["payload"].get("text") if isinstance(job["payload"], dict) else None
    if not isinstance(text, str):
        raise ValueError("the payload needs a text")
    return {"words": len(text.split()), "attempt": job["attempt"]}


handler = job_worker(count_words)
