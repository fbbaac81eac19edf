"""Tests of the template's kit, ``mlops_kit``, run where it is made: imported from the
template's own folder, which is exactly what every generated project holds."""
