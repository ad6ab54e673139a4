"""losslab web application: a thin FastAPI layer over `engine`."""

import os

# Requests already run in parallel in the threadpool; a multithreaded BLAS on top of that
# oversubscribes the cores (a 61² network plane went from 3.7 s to 93 s under load). Set before
# numpy is first imported; an explicit environment setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
