# losslab: the page and the JSON API on port 8000.
#   docker build -t losslab . && docker run --rm -p 127.0.0.1:8000:8000 losslab
# tests/test_docker_steps.py replays the COPY, pip install, HEALTHCHECK and CMD lines below in a
# fresh virtual environment (no Docker needed), so keep their shape when editing them.
FROM python:3.11-slim

# MALLOC_ARENA_MAX=2: glibc otherwise gives each worker thread its own malloc arena, and memory
# freed after a burst of concurrent requests stays in those arenas (RSS never comes back down);
# OPENBLAS_NUM_THREADS=1: one BLAS thread per request thread (see app/cli.py single_blas_thread)
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MALLOC_ARENA_MAX=2 \
    OPENBLAS_NUM_THREADS=1

# The app reads templates/ and static/ from the directory above the `app` package, so the
# server runs from this source tree: uvicorn puts the working directory first on sys.path and
# imports `app` from here, while `pip install .` brings in every dependency from PyPI.
WORKDIR /srv/losslab
COPY pyproject.toml README.md ./
COPY app/ app/
COPY engine/ engine/
COPY templates/ templates/
COPY static/ static/
RUN pip install --no-cache-dir . && rm -rf build ./*.egg-info

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin losslab
USER losslab

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status == 200 else 1)"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
