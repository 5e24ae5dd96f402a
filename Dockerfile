# The archive's image: the locked dependencies, then the code. Used by docker-compose.yml.
FROM python:3.11-slim
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY archive ./archive
COPY api ./api
COPY migrations ./migrations
COPY seeds ./seeds
RUN uv sync --frozen --no-dev
ENV PATH="/app/.venv/bin:$PATH" ARCHIVE_HOST=0.0.0.0 ARCHIVE_PORT=8000
EXPOSE 8000
CMD ["archive", "serve"]
