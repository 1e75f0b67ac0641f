"""Orchestration: the nightly's task bodies (tasks.py), running the DAG through Airflow's
`dag.test()` (runner.py) and the same task bodies in-process without Airflow (inprocess.py);
streaming: the embedded watcher (watch.py), the Airflow trigger (trigger.py) and the streaming
DAG's task bodies (streaming.py).
May import every stage (extractors, transforms, expectations, warehouse) and common."""
