# cmake -DMODE=find_package|add_subdirectory -DSOURCE_DIR=... -DBUILD_DIR=... -DWORK=...
#       -DCXX=... -DGENERATOR=... -P BasinInstallCheck.cmake
# (run by ctest, see cmake/BasinInstallTest.cmake). Fails with a message naming the step.
cmake_minimum_required(VERSION 3.22)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(gen_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=${BUILD_TYPE})

if(MODE STREQUAL "find_package")
  set(P ${WORK}/prefix)
  run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${P})
  file(GLOB libdir_candidates ${P}/lib ${P}/lib64 ${P}/lib/*-linux-gnu)
  foreach(f bin/basin include/basin/tensor/tensor.h include/basin/nn/models/resnet.h
            include/basin/optim/sgd.h include/basin/data/loader.h
            share/basin/examples/CMakeLists.txt share/basin/examples/train_fashion_mnist.cpp)
    if(NOT EXISTS ${P}/${f})
      message(FATAL_ERROR "not installed: ${P}/${f}")
    endif()
  endforeach()
  file(GLOB_RECURSE config ${P}/*/basinConfig.cmake)
  file(GLOB_RECURSE version ${P}/*/basinConfigVersion.cmake)
  file(GLOB_RECURSE pc ${P}/*/basin.pc)
  file(GLOB_RECURSE lib ${P}/*/libbasin.a)
  if(NOT config OR NOT version OR NOT pc OR NOT lib)
    message(FATAL_ERROR "missing from ${P}: config '${config}' version '${version}' pc '${pc}' lib '${lib}'")
  endif()
  file(GLOB_RECURSE tools_headers ${P}/include/basin/tools/*)
  if(tools_headers)
    message(FATAL_ERROR "the command's own headers were installed: ${tools_headers}")
  endif()

  # The installed examples, built on their own against the package.
  set(B ${WORK}/examples-build)
  run("configure examples against the package" ${CMAKE_COMMAND} -S ${P}/share/basin/examples -B ${B}
      ${gen_args} -DCMAKE_PREFIX_PATH=${P})
  run("build examples" ${CMAKE_COMMAND} --build ${B})
  run("run tensor_basics" ${B}/tensor_basics)
  message(STATUS "${run_out}")
  if(NOT run_out MATCHES "fitted y = ")
    message(FATAL_ERROR "tensor_basics printed no fit:\n${run_out}")
  endif()
  set(fmnist $ENV{BASIN_FASHION_MNIST_DIR})
  if(NOT fmnist)
    set(fmnist /usr/share/datasets/fashion-mnist)
  endif()
  if(EXISTS ${fmnist}/train-images-idx3-ubyte.gz)
    run("run train_fashion_mnist" ${B}/train_fashion_mnist --epochs 1 --limit 1000 --out ${WORK}/mlp.safetensors)
    message(STATUS "${run_out}")
    if(NOT run_out MATCHES "epoch 1  train loss [0-9.]+  test accuracy 0\\.[0-9]+ \\(1000 images\\)")
      message(FATAL_ERROR "train_fashion_mnist printed no epoch line:\n${run_out}")
    endif()
    if(NOT EXISTS ${WORK}/mlp.safetensors)
      message(FATAL_ERROR "train_fashion_mnist wrote no weights")
    endif()
  else()
    message(STATUS "no Fashion-MNIST at ${fmnist}: train_fashion_mnist built, not run")
  endif()

  # pkg-config: the same example compiled by hand.
  find_program(PKG_CONFIG pkg-config)
  if(PKG_CONFIG)
    get_filename_component(pcdir ${pc} DIRECTORY)
    set(ENV{PKG_CONFIG_PATH} ${pcdir})
    run("pkg-config --cflags --libs basin" ${PKG_CONFIG} --cflags --libs basin)
    separate_arguments(pc_flags UNIX_COMMAND "${run_out}")
    run("compile tensor_basics through pkg-config" ${CXX} ${P}/share/basin/examples/tensor_basics.cpp
        -o ${WORK}/tensor_basics_pc ${pc_flags})
    run("run the pkg-config build" ${WORK}/tensor_basics_pc)
  endif()

elseif(MODE STREQUAL "add_subdirectory")
  # A consumer that vendors basin: add_subdirectory(<basin source>). Only its own
  # source file is compiled (basin itself is not rebuilt here); a dry run checks
  # that the link line resolves.
  set(B ${WORK}/build)
  run("configure an add_subdirectory(basin) consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install -B ${B}
      ${gen_args} -DBASIN_SOURCE=${SOURCE_DIR} -DBASIN_CUDA=OFF)
  run("compile the consumer's source" ${CMAKE_COMMAND} --build ${B} --target consumer_objects)
  if(GENERATOR STREQUAL "Ninja")
    run("plan the consumer's link (ninja -n)" ${CMAKE_COMMAND} --build ${B} --target consumer -- -n)
  endif()
else()
  message(FATAL_ERROR "MODE must be find_package or add_subdirectory")
endif()
