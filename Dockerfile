# The twinhub server image: the package and its runtime dependencies, nothing else.
# The embedded store lives in the volume /var/lib/twinhub, owned by the unprivileged user twinhub (uid 10001):
#   docker run -p 8080:8080 -v twinhub-data:/var/lib/twinhub twinhub
#   docker run --rm -it -v twinhub-data:/var/lib/twinhub twinhub twinhub user add alice
# (A bind-mounted host directory must be writable by uid 10001.) With store_url (PostgreSQL) it is unused.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# Created and owned before VOLUME: a new named volume starts as a copy of it, owner included.
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --user-group --no-create-home --home-dir /var/lib/twinhub twinhub \
    && mkdir -p /var/lib/twinhub \
    && chown twinhub:twinhub /var/lib/twinhub
ENV TWINHUB_DATA_DIR=/var/lib/twinhub
VOLUME /var/lib/twinhub
USER twinhub
EXPOSE 8080
CMD ["twinhub", "serve", "--host", "0.0.0.0", "--port", "8080"]
