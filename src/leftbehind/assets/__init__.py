"""The community asset map: the official asset inventory (build stage ``stage.build_assets``),
its queries (``inventory``) and what changed for libraries 2010-2023 (``changes``)."""
