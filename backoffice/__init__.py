"""The staff back-office: Flask blueprints, forms and views."""
