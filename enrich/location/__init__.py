"""Where a profile is: location strings resolved to city, region and country offline."""
