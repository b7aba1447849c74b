-- wrk script: Open311 GeoReport v2 POSTs from varied callers about varied
-- places. Set the api_key with the environment variable YS_KEY.
local key = os.getenv("YS_KEY")
local same = os.getenv("YS_SAME_PLACE") == "1"
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
end

request = function()
  counter = counter + 1
  local n = thread_id * 10000000 + counter
  local phone = string.format("139%08d", n % 100000000)
  local body
  if same then
    -- a burst about one place: the same spot, nearly the same words
    body = "api_key=" .. key .. "&service_code=010101" ..
      "&description=" .. "江滨路夜市占道经营，油烟噪声扰民，行人无法通行（第" .. n .. "位来电）" ..
      "&lat=24.501200&long=118.123400&address_string=临江区江滨路88号" ..
      "&phone=" .. phone .. "&last_name=李"
  else
    body = "api_key=" .. key .. "&service_code=010101" ..
      "&description=" .. "临江区滨江路" .. n .. "号附近占道经营，晚上油烟噪声扰民" ..
      "&address_string=临江区滨江路" .. n .. "号" ..
      "&phone=" .. phone .. "&last_name=王"
  end
  return wrk.format("POST", "/open311/v2/requests.json",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
