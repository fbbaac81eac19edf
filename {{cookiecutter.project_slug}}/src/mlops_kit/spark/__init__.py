"""The validate, prepare and train stages on a Spark cluster (compute=spark).

- ``prepare``: prepare stage on Spark: refuse unvalidated data, then split it on the cluster.
- ``segments``: many models on Spark: the models a training shard must fit, fitted and scored
  on the executors, one group per model, and written by the driver as locally.
- ``session``: the Spark session of the Spark stages; the cluster is chosen by the environment.
- ``train``: train stage on Spark: the same scikit-learn Pipeline, its forest's trees fitted on
  the cluster.
- ``validate``: validate stage on Spark: the same suite JSON, run through Great Expectations'
  Spark source.

The cluster is chosen at run time by SPARK_REMOTE or SPARK_MASTER (``local[*]`` when neither
is set).
"""
