# carbonwatch on Airflow 3.3.2 (Python 3.11): the image every service of docker-compose.yml runs.
# Build: docker build -t carbonwatch-airflow:0.1.0 .   (docker-compose.yml builds it as well)
FROM apache/airflow:3.3.2-python3.11

# Python dependencies exactly as pinned for the project (requirements.lock pins
# apache-airflow==3.3.2 itself, so pip keeps the image's Airflow). The image's Celery, Redis,
# PostgreSQL and FAB providers stay installed: the lock does not mention them.
COPY --chown=airflow:root requirements.lock /opt/carbonwatch/requirements.lock
RUN pip install --no-cache-dir -r /opt/carbonwatch/requirements.lock

# The project itself (no dependency resolution: everything is already pinned above).
COPY --chown=airflow:root pyproject.toml README.md /opt/carbonwatch/
COPY --chown=airflow:root carbonwatch /opt/carbonwatch/carbonwatch
COPY --chown=airflow:root extractors /opt/carbonwatch/extractors
COPY --chown=airflow:root transforms /opt/carbonwatch/transforms
COPY --chown=airflow:root expectations /opt/carbonwatch/expectations
COPY --chown=airflow:root warehouse /opt/carbonwatch/warehouse
COPY --chown=airflow:root sources /opt/carbonwatch/sources
RUN pip install --no-cache-dir --no-deps /opt/carbonwatch

# The DAGs are part of the image (no bind mount in production).
COPY --chown=airflow:root dags /opt/airflow/dags

# Generated files (warehouse, raw documents, GX, outbox, reports) live under /opt/airflow/var,
# on the volumes declared in docker-compose.yml.
ENV CARBONWATCH_VAR=/opt/airflow/var \
    GX_ANALYTICS_ENABLED=false
