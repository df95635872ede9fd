"""The warehouse: where kam keeps its data (settings), the score tables beside the dbt models,
and publishing the BI copy."""
