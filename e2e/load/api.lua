-- wrk script: JSON API intake (POST /api/v1/hotline/orders) from varied
-- callers about varied places, with the bearer token in YS_KEY.
local key = os.getenv("YS_KEY")
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

request = function()
  counter = counter + 1
  local n = thread_id * 10000000 + counter
  local body = string.format('{"channel":"phone","type":"complaint","category_code":"010101",' ..
    '"content":"临江区江滨路%d号夜市占道经营严重，晚上油烟噪声扰民，行人无法通行",' ..
    '"caller_name":"李先生","caller_phone":"139%08d","region_code":"990102","address":"临江区江滨路%d号"}',
    n, n % 100000000, n)
  return wrk.format("POST", "/api/v1/hotline/orders",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
