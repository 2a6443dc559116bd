"""segscope: explained, stable user segments from behavioural events."""
