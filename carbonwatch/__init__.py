"""The application, on top of the stages: orchestration (task bodies, runners), alerting,
reporting, the demo and the command line (cli).

May import: common and every stage. Nothing below imports it; dags/ wire it into Airflow."""
__version__ = "0.1.0"
