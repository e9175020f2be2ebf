"""党内统计年报: the annual statistics tables of an organisation and its subtree on a cut-off day."""
