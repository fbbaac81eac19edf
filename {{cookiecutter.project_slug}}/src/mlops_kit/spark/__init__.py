"""The validate, prepare and train stages on a Spark cluster (compute=spark).

- ``prepare``: prepare stage on Spark: refuse unvalidated data, then split it on the cluster.
- ``session``: the Spark session of the Spark stages; the cluster is chosen by the environment.
- ``train``: train stage on Spark: the same scikit-learn Pipeline, its forest's trees fitted on
  the cluster.
- ``validate``: validate stage on Spark: the same suite JSON, run through Great Expectations'
  Spark source.

The cluster is chosen at run time by SPARK_REMOTE or SPARK_MASTER (``local[*]`` when neither
is set).
"""
