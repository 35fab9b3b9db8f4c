"""The pure rules: who may do what, the assessment's thresholds and statuses, the training
allocation, name masking and what typed text may hold. No SQLAlchemy, no streamlit."""
