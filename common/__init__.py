"""The ground floor: what every stage shares. Imports nothing of the project.

schema.py    the one fact schema (Fact, Case) and the report's classification
metrics.py   the metric table: one spec per tracked metric, read by every stage
settings.py  every setting (conf > Airflow Variables > Connections > environment > defaults)
"""
