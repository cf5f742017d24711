"""Real PyPI clients against a running `childcircle serve`.

Usage: clients.py BASE_URL LON LAT
Prints one JSON object: per client, the contours it parsed and their ring sizes.
"""
import json
import sys

import openrouteservice
import routingpy

base, lon, lat = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
out = {}

# routingpy's Valhalla client: intervals in seconds, sent as minutes.
v = routingpy.Valhalla(base_url=base)
iso = v.isochrones(locations=[lon, lat], profile="pedestrian", intervals=[300, 600],
                   polygons=True, costing_options={"walking_speed": 3.6})
out["routingpy_valhalla"] = [
    {"interval": i.interval, "points": len(i.geometry[0]) if i.geometry else 0}
    for i in iso
]

# routingpy's ORS client.
o = routingpy.ORS(base_url=base, api_key="ignored")
iso = o.isochrones(locations=[lon, lat], profile="foot-walking", intervals=[300, 600],
                   attributes=["area", "total_pop"])
out["routingpy_ors"] = [
    {"interval": i.interval, "center": i.center, "points": len(i.geometry)}
    for i in iso
]

# openrouteservice-py 2.3.3.
c = openrouteservice.Client(base_url=base, key="ignored")
fc = c.isochrones(locations=[[lon, lat]], profile="child-6-12", range=[600],
                  attributes=["area", "reachfactor"])
out["openrouteservice"] = [
    {"value": f["properties"]["value"], "area": f["properties"]["area"],
     "reachfactor": f["properties"]["reachfactor"], "type": f["geometry"]["type"],
     "group_index": f["properties"]["group_index"]}
    for f in fc["features"]
]
print(json.dumps(out))
