-- wrk script: POST Valhalla isochrone requests at seeded random points of a
-- box (BBOX env: minlon,minlat,maxlon,maxlat), 5/10/15-minute contours.
local bbox = {}
for v in string.gmatch(os.getenv("BBOX") or "7.415,43.728,7.430,43.745", "[^,]+") do
  bbox[#bbox + 1] = tonumber(v)
end
local bodies = {}
math.randomseed(16)
for i = 1, 256 do
  local lon = bbox[1] + (bbox[3] - bbox[1]) * math.random()
  local lat = bbox[2] + (bbox[4] - bbox[2]) * math.random()
  bodies[i] = string.format(
    '{"locations":[{"lat":%.6f,"lon":%.6f}],"costing":"pedestrian",' ..
    '"costing_options":{"pedestrian":{"walking_speed":3.6}},' ..
    '"contours":[{"time":5},{"time":10},{"time":15}],"polygons":true}', lat, lon)
end
local n = 0
request = function()
  n = n % #bodies + 1
  return wrk.format("POST", "/isochrone", {["Content-Type"] = "application/json"}, bodies[n])
end
