-- A recorded FAKE of the few Resolve scripting calls the Lua entry script makes (Resolve cannot be
-- installed here). Usage: lua5.1 resolve_fake.lua SCRIPT.lua; prints CALL lines. Export writes
-- $FAKE_OTIO_TEXT as the exported timeline. With FAKE_UI=1 it also loads the UIManager fake
-- (resolve_ui_fake.lua: fu, bmd) and prints its UI lines after the CALL lines.
calls = {}
local function rec(name) calls[#calls + 1] = name end
local timeline = {}
function timeline:GetName() rec("GetName"); return "Edit 1" end
function timeline:Export(path, kind) rec("Export"); local f = io.open(path, "w"); f:write(os.getenv("FAKE_OTIO_TEXT") or ""); f:close(); return kind == "EXPORT_OTIO" end
local pool = {}
function pool:ImportTimelineFromFile(path, opts) rec("ImportTimelineFromFile " .. path .. " " .. opts.timelineName); return {name = opts.timelineName} end
local project = {}
function project:GetCurrentTimeline() rec("GetCurrentTimeline"); return timeline end
function project:GetMediaPool() rec("GetMediaPool"); return pool end
function project:SetCurrentTimeline(t) rec("SetCurrentTimeline " .. t.name); return true end
local manager = {}
function manager:GetCurrentProject() rec("GetCurrentProject"); return project end
resolve = {EXPORT_OTIO = "EXPORT_OTIO"}
function resolve:GetProjectManager() rec("GetProjectManager"); return manager end
if os.getenv("FAKE_UI") == "1" then
  dofile((arg[0]:gsub("resolve_fake%.lua$", "resolve_ui_fake.lua")))
end
dofile(arg[1])
for _, c in ipairs(calls) do print("CALL " .. c) end
if fake_ui_report then fake_ui_report() end
