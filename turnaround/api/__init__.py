"""The public REST API v1 (DESIGN.md, "The public REST contract"): one module per app for its
serializers, filters and viewsets, and the shared pieces in base.py."""
