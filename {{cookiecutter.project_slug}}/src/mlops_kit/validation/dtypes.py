"""The type lists the suite builder writes: one list per kind of column, for every engine."""

# Type names as each engine spells them: pandas (numpy and pandas dtypes), Spark
# (pyspark.sql.types classes) and SQL (SQLAlchemy types, matched by class, or by name
# ignoring case on some dialects). Each engine skips the names it does not know, so one
# list holds for all three. (pandas' nullable dtypes go by their class names: GX finds no
# dtype "Int64" or "boolean".) Whole numbers also pass as the engine's double (a column with
# gaps reads back as float64 in pandas), decimals as its 64-bit integer (whole values).
# In pandas GX also reads some names as Python types ("FLOAT" as float, "BOOL" as bool):
# such a name is only in a list where that Python type belongs.
_INT = ["int64", "int32", "Int64Dtype", "IntegerType", "LongType", "ShortType", "ByteType"]
_INT += ["INTEGER", "BIGINT", "SMALLINT", "TINYINT"]
_FLOAT = ["float64", "float32", "Float64Dtype", "DoubleType", "FloatType"]
_FLOAT += ["DOUBLE", "DOUBLE_PRECISION", "FLOAT", "REAL"]
INT_TYPES = _INT + ["float64", "DoubleType", "DOUBLE", "DOUBLE_PRECISION"]
FLOAT_TYPES = _FLOAT + ["int64", "LongType", "BIGINT"]
NUMERIC_TYPES = _INT + _FLOAT
BOOL_TYPES = ["bool", "BooleanDtype", "BooleanType", "BOOLEAN"]
TEXT_TYPES = ["object", "str", "string", "StringType", "VARCHAR", "TEXT", "STRING", "CHAR"]
