"""Customer journeys: building them from the timeline, blueprints, conformance at Spark scale."""
