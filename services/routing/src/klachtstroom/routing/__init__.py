"""Routing service: the case lifecycle (Awb chapter 9), routing rules and provider hand-over."""
