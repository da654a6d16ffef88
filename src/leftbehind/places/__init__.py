"""Find a neighbourhood from what people know: a postcode, or the ward they vote in today.

:mod:`leftbehind.places.stage` builds the crosswalks from today's geographies to every edition;
:mod:`leftbehind.places.postcodes` answers a postcode, :mod:`leftbehind.places.wards` a ward.
"""
