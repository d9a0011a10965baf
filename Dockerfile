# The twinhub server image: the package and its runtime dependencies, nothing else.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --system twinhub
USER twinhub
EXPOSE 8080
CMD ["twinhub", "serve", "--host", "0.0.0.0", "--port", "8080"]
