# The gameday project image: margin engine, feed, gateway, chaos-proxy, harness and Locust.
#   docker build -t gameday:local .
# Behind an HTTPS-intercepting proxy, pip needs that proxy's CA: pass it as a build secret
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt -t gameday:local .
# (the bundle is used for the pip step only and never stored in a layer).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GAMEDAY_RULES_DIR=/app/dashboards/prometheus

WORKDIR /app
COPY pyproject.toml README.md ./
COPY harness ./harness
COPY target_engine ./target_engine
COPY chaos ./chaos
COPY dashboards ./dashboards
COPY scenarios ./scenarios

RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    pip install . \
 && useradd --create-home --uid 10001 gameday \
 && mkdir -p /data /runs \
 && chown gameday:gameday /data /runs

USER gameday
# engine 8080 · gateway 8000 · feed 9100 · chaos-proxy 8474 · Locust web 8089
EXPOSE 8080 8000 9100 8474 8089
CMD ["gameday", "--help"]
