"""Java options of the Spark sessions the tests start (``KAM_SPARK_JAVA_OPTIONS``).

A test's Spark session runs many short statements on small tables and then ends: compiling
with C1 only and one garbage-collector thread spends less of the suite's two cores than the
optimising compiler would (docs/spark.md, the ``spark`` profile target). Results are the same.
"""

JAVA_OPTIONS_ENV = "KAM_SPARK_JAVA_OPTIONS"
TEST_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
