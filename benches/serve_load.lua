-- wrk script: POST Valhalla isochrone requests at seeded random points of a
-- box (BBOX env: minlon,minlat,maxlon,maxlat), or at the points of a file
-- (POINTS env: one "lon,lat" a line), 5/10/15-minute contours.
local bbox = {}
for v in string.gmatch(os.getenv("BBOX") or "7.415,43.728,7.430,43.745", "[^,]+") do
  bbox[#bbox + 1] = tonumber(v)
end
local points = {}
if os.getenv("POINTS") then
  for line in io.lines(os.getenv("POINTS")) do
    local lon, lat = string.match(line, "([^,]+),([^,]+)")
    points[#points + 1] = {tonumber(lon), tonumber(lat)}
  end
end
local bodies = {}
math.randomseed(16)
for i = 1, 256 do
  local lon, lat
  if #points > 0 then
    lon, lat = points[(i - 1) % #points + 1][1], points[(i - 1) % #points + 1][2]
  else
    lon = bbox[1] + (bbox[3] - bbox[1]) * math.random()
    lat = bbox[2] + (bbox[4] - bbox[2]) * math.random()
  end
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
